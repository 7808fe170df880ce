"""The records' models (app label ``mdm``): sources, golden records, codes, aliases."""
