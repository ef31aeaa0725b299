"""Understanding: normalisation, language, brand mentions, hashtags/topics and sentiment,
as spaCy components on blank pipelines. Imports only the kernel.

The service-facing entry point is `nlp.enricher.build_enricher(config, brands)`, which returns
an `Enricher`: a callable turning a batch of posts into one `Enrichment` per post, in order.
The service builds it inside worker processes, so it must be constructible from the config
alone (no open handles passed in).
"""
