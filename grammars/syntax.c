#include "syntax.h"
