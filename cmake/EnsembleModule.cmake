# ensemble_module(NAME SOURCES... DEPS targets...)
# Builds the static library ensemble_<NAME> from src/<NAME>/*.cc (tests excluded) and, when tests are
# on, the test binary ensemble_<NAME>_tests from src/<NAME>/*_test.cc, registered with CTest.
function(ensemble_module name)
  cmake_parse_arguments(M "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(tests)
    list(REMOVE_ITEM srcs ${tests})
  endif()
  if(NOT srcs)
    # A module not written yet: headers only, so the tree still configures.
    add_library(ensemble_${name} INTERFACE)
    target_include_directories(ensemble_${name} INTERFACE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(ensemble_${name} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(ensemble_${name} STATIC ${srcs})
  target_include_directories(ensemble_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                              PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(ensemble_${name} PUBLIC ${M_DEPS})
  set_target_properties(ensemble_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(ENSEMBLE_BUILD_TESTS AND tests)
    add_executable(ensemble_${name}_tests ${tests})
    target_include_directories(ensemble_${name}_tests PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(ensemble_${name}_tests PRIVATE ensemble_${name} ${M_TEST_DEPS}
                          ensemble_testing GTest::gtest GTest::gmock GTest::gtest_main)
    gtest_discover_tests(ensemble_${name}_tests DISCOVERY_TIMEOUT 60
                         PROPERTIES ENVIRONMENT "ENSEMBLE_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared")
  endif()
endfunction()

# ensemble_torch_part(MODULE LIBRARY SOURCE TEST_REGEX)
# Takes SOURCE, a LibTorch file of src/<MODULE>, out of ensemble_<MODULE>. With ENSEMBLE_WITH_TORCH it
# becomes the static library LIBRARY, which only the LibTorch plugin (src/torch) and the module's tests
# link: the module's factory reaches it through the plugin (src/neural/torch_plugin.h). Without
# LibTorch, the module's tests matching TEST_REGEX are left out.
function(ensemble_torch_part module library source test_regex)
  string(REPLACE "." "\\." escaped "${source}")
  get_target_property(s ensemble_${module} SOURCES)
  list(FILTER s EXCLUDE REGEX "/${escaped}$")
  set_target_properties(ensemble_${module} PROPERTIES SOURCES "${s}")
  if(ENSEMBLE_WITH_TORCH)
    add_library(${library} STATIC ${source})
    target_include_directories(${library} PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${library} PUBLIC ensemble_${module} ensemble_neural_torch)
    set_target_properties(${library} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    if(TARGET ensemble_${module}_tests)
      target_link_libraries(ensemble_${module}_tests PRIVATE ${library} ensemble_neural_testing)
    endif()
  elseif(TARGET ensemble_${module}_tests)
    get_target_property(s ensemble_${module}_tests SOURCES)
    list(FILTER s EXCLUDE REGEX "${test_regex}")
    set_target_properties(ensemble_${module}_tests PROPERTIES SOURCES "${s}")
  endif()
endfunction()
