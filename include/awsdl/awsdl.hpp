#pragma once
// Everything public, in one include.

#include "awsdl/auth/credentials.hpp"
#include "awsdl/auth/sigv4.hpp"
#include "awsdl/cluster/spec.hpp"
#include "awsdl/cluster/template.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/error.hpp"
#include "awsdl/core/log.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"
#include "awsdl/http/transport.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/s3/transfer.hpp"
#include "awsdl/s3/uri.hpp"
#include "awsdl/sts/sts.hpp"
