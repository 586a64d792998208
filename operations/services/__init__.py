"""The service layer: every read and write of the operational records goes through here.

Each public function takes the database (an ``Engine`` or a ``Session``, see
``operations.db.transaction``) and the acting user, checks the permission matrix, validates its
input with errors that name the field and value, and writes its audit rows in the same
transaction as the change.
"""
