DB_HOST=db
DB_PASSWORD=hunter22
curl -H "Authorization: Bearer q8ZrT2vLw9XyB4nM6pK1q8" https://x
url = "postgresql://app:pw12345@db/x"
