"""nlpkit.text"""
