"""The review queue in the browser (`eventfilter serve`, extra `eventfilter[web]`)."""
