# Installs a matbp build tree into a fresh prefix, then configures, builds and runs tests/consumer
# against it. Used by CTest's install_consumer:
#   cmake -DMATBP_BINARY_DIR=<build> -DCONSUMER_SOURCE_DIR=<tests/consumer> -DWORK_DIR=<dir>
#         [-DCMAKE_CXX_COMPILER=... -DCMAKE_CXX_COMPILER_LAUNCHER=...] -P run_consumer.cmake
# WORK_DIR is wiped first; the prefix is WORK_DIR/prefix, the consumer's build WORK_DIR/build.
foreach(var MATBP_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGV}")
    message(FATAL_ERROR "run_consumer.cmake: failed (${rc}): ${cmd}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${MATBP_BINARY_DIR} --prefix ${prefix})
# Optional: the same compiler (and ccache) as the matbp build.
set(compiler_args)
foreach(var CMAKE_CXX_COMPILER CMAKE_CXX_COMPILER_LAUNCHER)
  if(${var})
    list(APPEND compiler_args -D${var}=${${var}})
  endif()
endforeach()
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build ${compiler_args}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j1)
run(${WORK_DIR}/build/consumer)
