"""nlpkit.embeddings"""
