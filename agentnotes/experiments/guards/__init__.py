"""Guards: what helps a small model write an idea (idea kinds, note sections, mechanical fixes, static checks)."""
