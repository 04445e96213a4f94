# bench.runtime: the Log, the Bus and the Controller in a real actor system.
add_executable(bench.runtime runtime.bench.cpp)
target_link_libraries(bench.runtime PRIVATE timecontrol benchmark::benchmark)
