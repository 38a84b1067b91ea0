"""The native provider plugin ``pulumi-resource-vendor-credentials``, for every Pulumi language.

The same kinds, core and outputs as the Python dynamic resources, behind the ResourceProvider
gRPC protocol with a schema (``provider/schema.json``): Pulumi YAML, TypeScript, Go and Python
programs declare ``vendor-credentials:<vendor>:<Kind>`` resources. Run with
``python -m vendor_credentials.native`` (the launcher ``scripts/ensure-engine.sh`` installs does).
"""
