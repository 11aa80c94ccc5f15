"""agentnotes: research notes -> searchable knowledge base -> sandboxed experiments."""

__version__ = "0.1.0"
