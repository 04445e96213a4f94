# bench.tool: the timecontrol program over a 10-million-event log, against
# the store's raw replay.
if(TARGET timecontrol_tool)
  add_executable(bench.tool tool.bench.cpp)
  target_link_libraries(bench.tool PRIVATE timecontrol)
  target_compile_definitions(bench.tool PRIVATE
    TIMECONTROL_TOOL="$<TARGET_FILE:timecontrol_tool>")
  add_dependencies(bench.tool timecontrol_tool)
endif()
