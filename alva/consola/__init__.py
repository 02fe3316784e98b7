"""La consola web de ALVA: quien opera sigue los tópicos en vivo, cada institución ve lo suyo y cualquiera verifica."""
