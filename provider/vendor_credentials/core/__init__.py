"""Shared machinery: inputs, HTTP, errors, redaction, fingerprints and the Pulumi plumbing.

Vendor modules declare data on top of this package; nothing vendor-specific lives here.
"""
