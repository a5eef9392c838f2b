#include "languages.h"
