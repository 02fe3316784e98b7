"""`make bench`: el sistema real contra aiokafka a pelo, en una corrida, en el mismo broker; `--help` dice cómo."""
