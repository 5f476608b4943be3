"""Certificates for pscert: the schema, the trusted checker (``proofs.checker``) and their helpers."""
