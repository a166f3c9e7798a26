"""The accountability workflow: company claims, explanations, audits, record removal and PRTR forms."""
