"""Video sessions at the hub: notarization, mediation and evidence-taking, recorded as evidence."""
