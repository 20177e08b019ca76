"""The JSON and CSV API, version 1: public reads, token-authenticated writes, the OpenAPI document and its docs."""
