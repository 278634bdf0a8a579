"""The grader's parts; ``course_lib.tools.grade`` is the entry point and re-exports them.

    records   what a grading produces: ExerciseResult, GradeReport, clip
    reading   the submission and its solutions notebook
    scan      suspicious lines in the student's own code
    sandbox   the read-only copy of the course, hashing, the kernel run and its deadline
    replay    the checks re-run in the grader's process on the recorded results
    verdict   one exercise's verdict from the run and the replay
    grader    grade_notebook: the steps above, in order
    batch     a folder of students' submissions to one CSV

None of these files is copied next to a submission, and every one is hashed
before and after a run (see :func:`course_lib.tools.grading.sandbox.guarded_files`).
"""
