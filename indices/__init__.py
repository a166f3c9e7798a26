"""Indices built on the data: brand and city rankings, credit-risk screening and the GHG calculator."""
