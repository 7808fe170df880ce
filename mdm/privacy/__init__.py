"""Privacy: the audit log, encryption, masking and the one policy of what a caller may see."""
