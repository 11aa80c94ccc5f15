"""Notes: finding, decoding and chunking the user's note files."""
