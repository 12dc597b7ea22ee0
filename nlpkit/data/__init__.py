"""nlpkit.data"""
