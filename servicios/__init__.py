"""Los cuatro servicios de ALVA; cada uno corre solo y reacciona a eventos."""
