"""nlpkit.metrics"""
