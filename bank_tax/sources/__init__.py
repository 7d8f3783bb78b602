"""Agency data in: sources and their formats, batch ingestion with quarantine, versions, disputes."""
