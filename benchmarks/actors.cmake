# bench.actors: a Command in front of an operation against the same operation
# called directly, in a real actor system (see actors.bench.cpp).
add_executable(bench.actors actors.bench.cpp)
target_link_libraries(bench.actors PRIVATE timecontrol benchmark::benchmark)
