wrk.method = "POST"
wrk.body = '{"name":"Bench","email":"bare@bench.example","language":"en"}'
wrk.headers["Content-Type"] = "application/json"
