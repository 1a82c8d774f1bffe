# Run at build time (cmake -P): the man page of PROGRAM, made by help2man from its --help and
# --version and the sections of INCLUDE, gzipped without a timestamp (as Debian wants it) into OUT.
execute_process(COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --section=1 "--name=${NAME}"
                        "--include=${INCLUDE}" "--output=${OUT}.tmp" "${PROGRAM}"
                RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "help2man failed for ${PROGRAM}")
endif()
execute_process(COMMAND gzip -9nf "${OUT}.tmp" RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "gzip failed")
endif()
file(RENAME "${OUT}.tmp.gz" "${OUT}")
