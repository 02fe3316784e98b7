"""Los servicios como servicio de larga vida: un supervisor aparte los arranca, los reinicia y anota su estado."""
