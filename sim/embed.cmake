# Writes OUT, a C++ file defining msgbed::sim::QuickstartYaml() as IN's text.
file(READ ${IN} TEXT)
set(DELIM "msgbed_yaml")
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include \"scenario.h\"\n"
  "const char* msgbed::sim::QuickstartYaml() {\n  return R\"${DELIM}(${TEXT})${DELIM}\";\n}\n")
