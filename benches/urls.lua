-- wrk script: cycles through the request paths listed (one per line) in the file named by
-- the URLS environment variable. Each thread starts at its own offset, so threads do not
-- ask for the same tile at the same moment.
local paths = {}
for line in io.lines(os.getenv("URLS")) do
  paths[#paths + 1] = line
end
local counter = 1
local threads = {}

function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end

local i = 0
function init(args)
  i = tonumber(offset or 0) % #paths
end

function request()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i])
end
