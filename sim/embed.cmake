# Writes OUT, a C++ file defining FUNC (declared in HEADER) as a function
# returning IN's text.
file(READ ${IN} TEXT)
set(DELIM "msgbed_embed")
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include \"${HEADER}\"\n"
  "const char* ${FUNC}() {\n  return R\"${DELIM}(${TEXT})${DELIM}\";\n}\n")
