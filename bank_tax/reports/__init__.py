"""Effect statistics and the quarterly report the tax bureau publishes (每季度末25日前)."""
