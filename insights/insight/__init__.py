"""The insight feature: service, retrieval, risks, budget, prompts, model door, store, cache."""
