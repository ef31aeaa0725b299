"""Storage: the Store protocol, the embedded SQLite store and the Elasticsearch store.

Imports only the kernel.
"""
