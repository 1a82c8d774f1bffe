# Run at build time (cmake -P): writes OUT, the C++ source of common/version.h, with the project
# version (VERSION) and the git revision of SOURCE_DIR. configure_file rewrites OUT only when its
# text changes, so an unchanged revision rebuilds nothing.
set(revision "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE head RESULT_VARIABLE failed OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT failed)
    set(revision "${head}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" diff --quiet HEAD --
                    RESULT_VARIABLE dirty OUTPUT_QUIET ERROR_QUIET)
    if(dirty)
      set(revision "${revision}-dirty")
    endif()
  endif()
endif()
configure_file("${IN}" "${OUT}" @ONLY)
