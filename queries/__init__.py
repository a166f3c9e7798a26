"""Read queries behind the API and pages: search, near, facilities, stations, carbon."""
