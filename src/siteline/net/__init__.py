"""Reading from the web safely: every URL and every connection checked (see safe_http)."""
