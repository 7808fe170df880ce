"""Business documents between source systems: types, routes, relay with code translation, status.

A sender posts a document (a sales order, a delivery, a service ticket) in its own codes; the
hub keeps it as received, translates every master-data reference into each receiving system's
own codes through the crosswalk, and puts it in each receiver's inbox. A reference that has no
code in a receiver yet holds the document for that receiver until the mapping appears. Status
changes travel back the same way. See README "Business documents" and DESIGN.md.
"""
