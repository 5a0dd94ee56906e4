# Test of apply.cmake (CTest mutants_apply_fails_loudly): on a scratch tree in WORK_DIR, a snippet
# that occurs once is replaced and nothing else changes; one that occurs nowhere, or twice, fails
# the step with a message naming the mutant and the file, and leaves no mutated copy behind.
#   cmake -DWORK_DIR=<dir> -P apply_test.cmake
cmake_minimum_required(VERSION 3.25)
set(apply ${CMAKE_CURRENT_LIST_DIR}/apply.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
file(WRITE ${WORK_DIR}/repo/src/lib/f.hpp "int f(int x) { return x + 1; }\nint g(int x) { return x * 2; }\nint h(int x) { return x * 2; }\n")
file(WRITE ${WORK_DIR}/repo/src/lib/other.hpp "#include \"lib/f.hpp\"\n")
file(WRITE ${WORK_DIR}/repo/tests/t.cpp "// test\n")
file(WRITE ${WORK_DIR}/mutants.cmake [==[
matbp_mutant(once src/lib/f.hpp BUG "b" KILLER k
  FROM [=[return x + 1;]=]
  TO   [=[return x - 1;]=])
matbp_mutant(nowhere src/lib/f.hpp BUG "b" KILLER k
  FROM [=[return x + 2;]=]
  TO   [=[return x - 2;]=])
matbp_mutant(twice src/lib/f.hpp BUG "b" KILLER k
  FROM [=[return x * 2;]=]
  TO   [=[return x / 2;]=])
]==])

function(apply id out_rc out_log)
  execute_process(COMMAND ${CMAKE_COMMAND} -DID=${id} -DSOURCE_DIR=${WORK_DIR}/repo -DMUTANT_DIR=${WORK_DIR}/${id}
                          -DCOPY=tests/t.cpp -DMUTANTS=${WORK_DIR}/mutants.cmake -P ${apply}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
  set(${out_rc} "${rc}" PARENT_SCOPE)
  set(${out_log} "${log}" PARENT_SCOPE)
endfunction()
set(failed FALSE)
macro(failure text)
  message(NOTICE "FAIL ${text}")
  set(failed TRUE)
endmacro()

apply(once rc log)
file(READ ${WORK_DIR}/once/src/lib/f.hpp got)
if(NOT rc EQUAL 0 OR NOT got STREQUAL "int f(int x) { return x - 1; }\nint g(int x) { return x * 2; }\nint h(int x) { return x * 2; }\n")
  failure("once: rc ${rc}, f.hpp:\n${got}\n${log}")
endif()
foreach(f src/lib/other.hpp tests/t.cpp)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK_DIR}/repo/${f} ${WORK_DIR}/once/${f} RESULT_VARIABLE same)
  if(NOT same EQUAL 0)
    failure("once: ${f} not copied unchanged")
  endif()
endforeach()

foreach(case "nowhere;does not occur" "twice;occurs more than once")
  list(GET case 0 id)
  list(GET case 1 says)
  apply(${id} rc log)
  if(rc EQUAL 0 OR NOT log MATCHES "mutant ${id}: " OR NOT log MATCHES "src/lib/f.hpp" OR NOT log MATCHES "${says}")
    failure("${id}: expected a failure naming mutant ${id}, src/lib/f.hpp and '${says}'; rc ${rc}:\n${log}")
  endif()
  if(EXISTS ${WORK_DIR}/${id}/src/lib/f.hpp OR EXISTS ${WORK_DIR}/${id}/applied.stamp)
    failure("${id}: a copy was written although the snippet did not match exactly once")
  endif()
endforeach()

if(failed)
  message(FATAL_ERROR "apply.cmake misbehaves (above)")
endif()
message(STATUS "apply.cmake: once replaced; nowhere and twice fail naming the mutant and the file")
