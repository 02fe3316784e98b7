"""`make caos`: la prueba de fallas de la plataforma real: carga, procesos muertos, entradas hostiles y un veredicto."""
