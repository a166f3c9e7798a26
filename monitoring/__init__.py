"""Monitoring data kept current on ingest: partitions, hourly AQI, daily rollups, station series, PM2.5 surfaces."""
