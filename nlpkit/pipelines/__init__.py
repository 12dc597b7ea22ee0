"""nlpkit.pipelines"""
