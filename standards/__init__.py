"""Chinese environmental standards: AQI (HJ 633), surface water classes (GB 3838), USCC (GB 32100)."""
