"""Records: source systems, source records, golden records, codes, aliases, survivorship, crosswalk."""
