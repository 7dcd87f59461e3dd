# Warnings are errors in this project's own targets; consumers are not affected.
function(awsdl_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()
