# Imports the static llama.cpp libraries that scripts/llama.sh built into the cache.
set(_src "${KNOWTHY_LLAMA_ROOT}/src")
set(_bld "${KNOWTHY_LLAMA_ROOT}/build")
if(NOT EXISTS "${_bld}/src/libllama.a")
  message(FATAL_ERROR "llama.cpp is not built in ${KNOWTHY_LLAMA_ROOT}: run scripts/llama.sh first "
                      "(scripts/test.sh and scripts/demo.sh do it for you)")
endif()

function(_knowthy_llama_lib name path)
  add_library(${name} STATIC IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES IMPORTED_LOCATION "${path}")
endfunction()

_knowthy_llama_lib(knowthy_llama_common "${_bld}/common/libllama-common.a")
_knowthy_llama_lib(knowthy_llama_common_base "${_bld}/common/libllama-common-base.a")
_knowthy_llama_lib(knowthy_llama_llama "${_bld}/src/libllama.a")
_knowthy_llama_lib(knowthy_llama_ggml "${_bld}/ggml/src/libggml.a")
_knowthy_llama_lib(knowthy_llama_ggml_cpu "${_bld}/ggml/src/libggml-cpu.a")
_knowthy_llama_lib(knowthy_llama_ggml_base "${_bld}/ggml/src/libggml-base.a")

add_library(knowthy::llama INTERFACE IMPORTED GLOBAL)
target_include_directories(knowthy::llama SYSTEM INTERFACE
  "${_src}/include" "${_src}/ggml/include" "${_src}/common")
# vendor/ is left out on purpose: our code uses Debian's nlohmann-json and cpp-httplib. Nothing we link
# pulls common's download code (the one user of the vendored httplib); if it ever did, the link fails.
target_link_libraries(knowthy::llama INTERFACE
  knowthy_llama_common knowthy_llama_common_base knowthy_llama_llama
  knowthy_llama_ggml knowthy_llama_ggml_cpu knowthy_llama_ggml_base Threads::Threads dl m)
