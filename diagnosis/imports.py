def import_diagnosis_table(**kwargs):
    raise NotImplementedError
